"""The network map fed by the associations: links they declare between them
(:mod:`.model`, :mod:`.storage`), confirmed by the other side, public once confirmed
(:mod:`.project`: the board's ``network`` documents)."""
