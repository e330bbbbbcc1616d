"""One question answered as a stream of typed events: prompt, model, fence parser, guard, rows."""
