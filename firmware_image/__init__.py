"""posemu firmware_image package."""
