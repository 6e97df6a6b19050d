"""Form widgets the channels share."""

from __future__ import annotations

from django import forms


class MultipleFileInput(forms.FileInput):
    """A file input that takes several files at once (`<input type="file" multiple>`);
    its field receives the list of uploaded files."""

    allow_multiple_selected = True
