from django.urls import path

from helpline.feedback import views

app_name = "feedback"

urlpatterns = [
    path("<str:token>/", views.rate, name="rate"),
    path("<str:token>/thanks/", views.thanks, name="thanks"),
]
