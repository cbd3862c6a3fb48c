"""Where raw report emails come from. Every source yields raw MIME bytes and a reference."""
