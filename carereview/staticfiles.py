"""How static files are collected and stored for production."""

from django.contrib.staticfiles.finders import AppDirectoriesFinder
from whitenoise.storage import CompressedManifestStaticFilesStorage


class CompressedHashedStaticFilesStorage(CompressedManifestStaticFilesStorage):
    """WhiteNoise's compressed, hashed storage, without rewriting source-map comments.

    Vendored files keep their `sourceMappingURL` comments but not the maps themselves
    (govuk-frontend's CSS is kept byte for byte as npm ships it), and hashing fails on a
    reference to a file that is not there. Maps only serve browser developer tools.
    """

    patterns = tuple(
        (glob, tuple(p for p in rewrites if "sourceMappingURL" not in str(p)))
        for glob, rewrites in CompressedManifestStaticFilesStorage.patterns
    )


class ServedAppDirectoriesFinder(AppDirectoriesFinder):
    """Apps' static files as `collectstatic` lists them, without source maps (only browser
    developer tools read them) and without ReDoc, which django-ninja ships beside the
    Swagger UI that the API's docs use: 6 MB that no page serves, and most of the time
    `collectstatic` took to compress what it collected. Finding a file by name, as the
    development server does, is unchanged."""

    left_out = ["*.map", "redoc*"]

    def list(self, ignore_patterns):
        return super().list([*(ignore_patterns or []), *self.left_out])
