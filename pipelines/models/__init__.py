"""The embedding model: resolving a configured model, building the default one offline."""
