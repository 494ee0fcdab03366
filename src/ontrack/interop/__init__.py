"""Reading and writing other tools' formats: one module per format."""
