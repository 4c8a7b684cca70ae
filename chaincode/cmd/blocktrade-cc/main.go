// Command blocktrade-cc runs the BlockTrade chaincode as an external service (ccaas): the peer
// connects to CHAINCODE_SERVER_ADDRESS and identifies the package by CHAINCODE_ID.
package main

import (
	"fmt"
	"os"

	"github.com/blocktrade/blocktrade/chaincode/contracts"
	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
)

func main() {
	address, ccid := os.Getenv("CHAINCODE_SERVER_ADDRESS"), os.Getenv("CHAINCODE_ID")
	if address == "" || ccid == "" {
		fmt.Fprintln(os.Stderr, "blocktrade-cc: set CHAINCODE_SERVER_ADDRESS (host:port) and CHAINCODE_ID (package id)")
		os.Exit(2)
	}
	cc, err := contractapi.NewChaincode(contracts.All()...)
	if err != nil {
		fmt.Fprintf(os.Stderr, "blocktrade-cc: cannot build the chaincode: %v\n", err)
		os.Exit(1)
	}
	cc.Info.Title, cc.Info.Version = "blocktrade", "1.0.0"
	server := &shim.ChaincodeServer{CCID: ccid, Address: address, CC: cc,
		TLSProps: shim.TLSProperties{Disabled: true}}
	if err := server.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "blocktrade-cc: server stopped: %v\n", err)
		os.Exit(1)
	}
}
