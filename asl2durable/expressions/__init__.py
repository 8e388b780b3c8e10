"""The languages inside ASL, parsed at translation time: JSONPath (paths), intrinsic
functions (intrinsics) and JSONata (jsonata)."""
