"""Our own informal question and request sets, split into a dev half and a holdout half."""
