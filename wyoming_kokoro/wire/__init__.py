"""The Wyoming wire: events with limits, listeners, connections, the info event."""
