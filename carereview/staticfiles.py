"""How static files are stored for production."""

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
