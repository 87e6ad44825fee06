-- The W3C traceparent of the span that published an event (when tracing
-- is on), so that its delivery attempts join the publisher's trace.
ALTER TABLE events ADD COLUMN trace_parent text;
