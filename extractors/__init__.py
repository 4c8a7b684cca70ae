"""Documents -> typed facts: MT700/MT707, PDF text, OCR, classification, field templates."""
