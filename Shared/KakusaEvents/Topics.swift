// Event schemas: filled in by Foundation II.
