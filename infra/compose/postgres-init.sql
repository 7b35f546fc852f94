-- Runs once, when the postgres service initialises an empty data volume: the databases Temporal
-- keeps its state and its visibility index in, next to the engine's own (POSTGRES_DB).
CREATE DATABASE temporal;
CREATE DATABASE temporal_visibility;
