"""FreeSWITCH over its event socket: the adapter, the wire protocol and a test peer."""
