"""The media desk's download watcher ("your download is done")."""
