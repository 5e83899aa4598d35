"""Platform edges: each adapter turns a platform request into the core's types and back."""
