"""Payment reads used by other apps.

Temporary: online payment is never offered until the payments work lands (issue 5) and replaces
this with the connected account's real status.
"""


def pro_accepts_online_payments(pro) -> bool:
    return False
