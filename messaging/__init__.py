"""One message port: every text or WeChat notice the system sends, with its state and receipts."""
