from django.shortcuts import render

from .models import Organisation


def home(request):
    organisations = Organisation.objects.with_status_counts()
    return render(request, "responses/home.html", {"organisations": organisations})


# CSV exports
