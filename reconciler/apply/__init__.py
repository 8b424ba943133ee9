"""(docstring follows in the layout commit)"""
