"""Keeps the practice switch honest: a session marked as a class's practice stays so only
while its user is a trainee of that class and the class is open."""

from __future__ import annotations

from postgov.dossiers.practice import SESSION_KEY, practice_class
from postgov.training.actions import session_class


class PracticeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        class_id = practice_class(request)
        if class_id is not None:
            user = getattr(request, "user", None)
            if user is None or not user.is_authenticated or session_class(user, class_id) is None:
                request.session.pop(SESSION_KEY, None)
        elif SESSION_KEY in getattr(request, "session", {}):
            request.session.pop(SESSION_KEY, None)
        return self.get_response(request)
