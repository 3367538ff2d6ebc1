from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("organisations/", views.organisation_list, name="organisations"),
    path("organisations/<slug:slug>/", views.organisation, name="organisation"),
    path("documents/<int:pk>/", views.document, name="document"),
    path("recommendations/", views.recommendation_list, name="recommendations"),
    path("recommendations/<str:ref>/", views.recommendation, name="recommendation"),
    path("what-happened/", views.what_happened, name="what_happened"),
    path("themes/", views.theme_list, name="themes"),
    path("themes/<slug:slug>/", views.theme, name="theme"),
    path("search/", views.search, name="search"),
    path("export/asks.csv", views.export_asks, name="export_asks"),
    path("export/recommendations.csv", views.export_recommendations, name="export_recommendations"),
    path("export/organisations.csv", views.export_organisations, name="export_organisations"),
    path("export/matrix.csv", views.export_matrix, name="export_matrix"),
    path("export/stages.csv", views.export_stages, name="export_stages"),
    path("export/carereview-data.zip", views.export_package, name="export_package"),
    path("charts/<slug:name>.svg", views.chart_svg, name="chart_svg"),
    path("charts/<slug:name>.csv", views.chart_csv, name="chart_csv"),
    path("charts/<slug:name>/<slug:of>.svg", views.chart_svg, name="chart_svg"),
    path("charts/<slug:name>/<slug:of>.csv", views.chart_csv, name="chart_csv"),
]
