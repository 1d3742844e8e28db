"""The command line: thin commands over the library, errors turned into messages here."""
