"""The web chat: HTTP requests in, answers, sources and report lists out.

``service`` holds the index and the background updates that the page shares; ``page`` lays out the Gradio
page and wires its events; ``actions`` are the event handlers; ``html`` renders answers, sources and tables.
"""
