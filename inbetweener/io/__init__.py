"""Files: image import, project file (.ibw), exports, paths JSON."""
