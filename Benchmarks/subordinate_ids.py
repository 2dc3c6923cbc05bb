"""Root's subordinate ids for sbuild's unshare mode, for the length of a benchmark."""
import pathlib


class SubordinateIDs:
    """sbuild's unshare mode maps the build's users into the caller's
    subordinate ranges (/etc/subuid, /etc/subgid). Root usually has none: a
    range is added for the run and the files are restored afterwards."""

    files = [pathlib.Path("/etc/subuid"), pathlib.Path("/etc/subgid")]

    def __enter__(self):
        self.saved = {}
        for file in self.files:
            text = file.read_text() if file.exists() else None
            if text is None or not any(line.startswith("root:") for line in text.splitlines()):
                self.saved[file] = text
                file.write_text((text or "") + "root:1000000:65536\n")
        return self

    def __exit__(self, *_):
        for file, text in self.saved.items():
            if text is None:
                file.unlink()
            else:
                file.write_text(text)
