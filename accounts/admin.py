"""Staff admin for users, profiles and categories. Users log in by email: no username anywhere."""

from allauth.mfa.models import Authenticator
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.utils.translation import gettext_lazy as _

from accounts.models import Category, ClientProfile, ProProfile, User
from accounts.services import profile_update


class UserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "role")

    def clean_email(self):
        # Same normalisation as UserManager and allauth: addresses are stored lowercase.
        return self.cleaned_data["email"].strip().lower()


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


class ClientProfileInline(admin.StackedInline):
    model = ClientProfile
    can_delete = False
    extra = 0
    fields = ("display_name", "phone", "timezone", "avatar")


class ProProfileInline(admin.StackedInline):
    model = ProProfile
    can_delete = False
    extra = 0
    fields = ("display_name", "slug", "category", "city", "is_listed")
    show_change_link = True


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserEditForm
    add_form = UserCreationForm
    list_display = ("email", "display_name_admin", "role", "is_staff", "is_active", "date_joined")
    list_filter = ("role", "is_staff", "is_active", "is_superuser")
    search_fields = ("email", "client_profile__display_name", "pro_profile__display_name")
    ordering = ("-date_joined",)
    date_hierarchy = "date_joined"
    list_select_related = ("client_profile", "pro_profile")
    readonly_fields = ("last_login", "date_joined")
    inlines = (ClientProfileInline, ProProfileInline)
    fieldsets = (
        (None, {"fields": ("email", "password", "role")}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "role", "usable_password", "password1", "password2"),
            },
        ),
    )

    def get_inlines(self, request, obj):
        # The add page is email + password only; profiles are edited once the user exists.
        return self.inlines if obj is not None else ()

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:
            # Every user has a client profile (see accounts.models); give staff-made users one.
            profile_update(user=obj, display_name=obj.email.split("@")[0])

    @admin.display(description=_("name"))
    def display_name_admin(self, obj):
        return obj.display_name


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "pro_count")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}

    def get_queryset(self, request):
        from django.db.models import Count

        return super().get_queryset(request).annotate(_pro_count=Count("pros"))

    @admin.display(description=_("pros"), ordering="_pro_count")
    def pro_count(self, obj):
        return obj._pro_count


@admin.register(ClientProfile)
class ClientProfileAdmin(admin.ModelAdmin):
    list_display = ("display_name", "user", "phone", "timezone")
    search_fields = ("display_name", "user__email", "phone")
    list_select_related = ("user",)
    raw_id_fields = ("user",)


@admin.register(ProProfile)
class ProProfileAdmin(admin.ModelAdmin):
    # A laptop's width holds these (e2e/test_mfa.py); the slug is searchable and on the form.
    list_display = (
        "display_name",
        "category",
        "city",
        "currency",
        "is_listed",
        "rating_avg",
        "review_count",
        "created_at",
    )
    list_filter = ("category", "city", "currency", "is_listed")
    list_editable = ("is_listed",)
    search_fields = ("display_name", "slug", "user__email", "headline")
    list_select_related = ("category", "user")
    prepopulated_fields = {"slug": ("display_name",)}
    raw_id_fields = ("user",)
    # The currency changes only through accounts.services.pro_currency_change (the pro's
    # profile page): it relabels the services, or refuses while bookings are upcoming.
    readonly_fields = ("currency", "rating_avg", "review_count", "created_at", "updated_at")
    date_hierarchy = "created_at"
    fieldsets = (
        (None, {"fields": ("user", "display_name", "slug", "is_listed")}),
        (_("Public page"), {"fields": ("headline", "bio", "category", "avatar")}),
        (
            _("Place and time"),
            {"fields": ("city", "address_line", "business_name", "timezone", "currency")},
        ),
        (_("Reviews"), {"fields": ("rating_avg", "review_count", "created_at", "updated_at")}),
    )


# allauth's own Authenticator admin shows and edits `data`: a TOTP secret, the recovery codes'
# seed. Staff see who has which factor and may remove one (a person who lost their phone), never
# the secrets.
admin.site.unregister(Authenticator)


@admin.register(Authenticator)
class AuthenticatorAdmin(admin.ModelAdmin):
    list_display = ("user", "type", "created_at", "last_used_at")
    list_filter = ("type",)
    search_fields = ("user__email",)
    list_select_related = ("user",)
    fields = readonly_fields = ("user", "type", "created_at", "last_used_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
