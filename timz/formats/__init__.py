"""Date and time formats that replace Django's English ones (settings.FORMAT_MODULE_PATH)."""
