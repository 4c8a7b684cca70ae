"""The ledger: embedded hash-chained log and the Hyperledger Fabric Gateway client."""
