"""Helpers shared by several Engineering Logs posts.

Only code that is *infrastructure* for a post lives here (plot style, latency
statistics, local AWS stand-ins). Code that *is* the lesson stays in the post.
"""
