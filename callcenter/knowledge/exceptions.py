"""Errors of the knowledge base."""


class ArticleNotFoundError(Exception):
    def __init__(self, article_id: int) -> None:
        super().__init__(f"article {article_id} not found")
