"""Raw dataset sources: one module per dataset family."""
