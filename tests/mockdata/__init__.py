"""Mock datasets in the exact real layouts (generated features, real annotation and meta files)."""
