"""Who may open what on the pro side: the one fetch-with-permission for "the pro asking".

`pro_for_user(user)` is the one way code gets "the pro profile of the person asking": it raises
PermissionDenied (403) for anyone who is not a pro. `pro_required` wraps a view with login plus
that check and passes the profile to the view as the keyword argument `pro`. Every app's pro
pages use it (accounts, bookings, chat, payments).
"""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from accounts.models import ProProfile


def pro_for_user(user) -> ProProfile:
    """The signed-in user's own ProProfile (with category), else PermissionDenied."""
    if not user.is_authenticated or not user.is_pro:
        raise PermissionDenied(_("This page is for professionals."))
    try:
        pro = ProProfile.objects.select_related("category").get(user=user)
    except ProProfile.DoesNotExist:
        raise PermissionDenied(_("This page is for professionals.")) from None
    # Link both ways in memory so templates reading user.pro_profile (the header's display
    # name) or pro.user cost no further query.
    user.pro_profile = pro
    return pro


def pro_required(view):
    """Login required (anonymous users go to the login page), then the pro role (403).

    The view is called as ``view(request, *args, pro=<the user's ProProfile>, **kwargs)``.
    """

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        return view(request, *args, pro=pro_for_user(request.user), **kwargs)

    return wrapper
