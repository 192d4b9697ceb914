"""Route blueprints, one module per resource."""
