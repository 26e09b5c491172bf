"""The editorial desk: plan, review, edit and approve queue items (``k2publisher desk``)."""
