//! Brickyard REST server.
