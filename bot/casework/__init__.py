"""Casework: VOC tickets and their lifecycle, the legal deadlines and the working calendar they are counted on,
routing (intent → VOC type, deadline policy, department) and what staff do to a ticket."""
