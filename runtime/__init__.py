"""Everything that runs: the engine, the store, the organisation, authentication, the web app and the CLI."""
