"""CAS -> detections: one module per method (CMCS scoring function, RSKP multi-threshold + NMS)."""
