"""The service standard in software: remedies for wrong service, the satisfaction survey, the VOC report."""
