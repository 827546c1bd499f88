from django.shortcuts import get_object_or_404, render

from accounts.models import ProProfile


def home(request):
    pros = ProProfile.objects.filter(is_listed=True).select_related("category")[:24]
    return render(request, "accounts/home.html", {"pros": pros})


def pro_detail(request, slug):
    pro = get_object_or_404(
        ProProfile.objects.select_related("category"), slug=slug, is_listed=True
    )
    return render(request, "accounts/pro_detail.html", {"pro": pro})


def dashboard(request):
    return render(request, "accounts/placeholder.html", {"title": "Dashboard"})


def profile(request):
    return render(request, "accounts/placeholder.html", {"title": "Profile"})
