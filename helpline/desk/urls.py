app_name = "desk"
urlpatterns: list = []
