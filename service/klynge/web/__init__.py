"""The web service: an app factory (``klynge.web.app``) and one router per surface."""
