"""After phase 2: the snapshot of the directories an install wrote to, and the review that
reports and quarantines new startup files. Imports checks and the layers below."""
