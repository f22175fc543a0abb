"""The policy knowledge base (政务咨询) operators search during consultation calls."""
