"""What the tests share: paths and sign-in helpers, the network guard, corpora and files."""
