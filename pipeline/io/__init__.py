"""Reading inputs (discovery, decoding) and writing Parquet datasets."""

from pipeline.io.readers import InputError, decode_bytes, discover, read_path

__all__ = ["InputError", "decode_bytes", "discover", "read_path"]
