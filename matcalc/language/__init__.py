"""Text -> Expr: the Lark grammar and the parser that builds the tree."""
