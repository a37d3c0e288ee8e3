// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import "../../IAtomicParticipant.sol";
import "../../IGateway.sol";

/// @title DemoToken: a minimal ERC-20 for the delivery-versus-payment example.
/// @notice The deployer receives the whole supply given to the constructor.
contract DemoToken {
    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;
    uint256 public totalSupply;

    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);

    constructor(uint256 supply) {
        totalSupply = supply;
        balanceOf[msg.sender] = supply;
        emit Transfer(address(0), msg.sender, supply);
    }

    function transfer(address to, uint256 value) external returns (bool) {
        require(balanceOf[msg.sender] >= value, "insufficient balance");
        balanceOf[msg.sender] -= value;
        balanceOf[to] += value;
        emit Transfer(msg.sender, to, value);
        return true;
    }

    function approve(address spender, uint256 value) external returns (bool) {
        allowance[msg.sender][spender] = value;
        emit Approval(msg.sender, spender, value);
        return true;
    }

    function transferFrom(address from, address to, uint256 value) external returns (bool) {
        require(allowance[from][msg.sender] >= value, "insufficient allowance");
        require(balanceOf[from] >= value, "insufficient balance");
        allowance[from][msg.sender] -= value;
        balanceOf[from] -= value;
        balanceOf[to] += value;
        emit Transfer(from, to, value);
        return true;
    }
}

/// @title AtomicDvP: the token leg of a delivery-versus-payment atomic plan.
/// @notice A seller offers `amount` tokens to one buyer (offer), after approving this
///         contract for them. The buyer submits, on the mediator, a plan with two legs:
///         this contract with data abi.encode(offerId), and a value leg paying the seller
///         in native coin on another subnet. The gateway then calls:
///
///         prepare  checks that the plan comes from the offer's mediator and buyer, and
///                  locks the seller's tokens here (transferFrom); no tokens, no allowance,
///                  or a stranger's plan: votes no.
///         commit   sends the locked tokens to the buyer.
///         abort    sends them back to the seller; the offer stays taken.
///
///         This contract sees only its own leg: it cannot check that the plan also pays the
///         seller. The offer therefore names the one buyer who may take it, trusted to put
///         the payment leg in the plan. Against an untrusted buyer, name as buyer a contract
///         on the mediator that itself submits the plan with both legs.
contract AtomicDvP is IAtomicParticipant {
    address constant GATEWAY = 0xA5E0000000000000000000000000000000000001;

    struct Offer {
        address seller;
        address buyer;
        uint256 amount;
        string mediator;
    }

    struct Lock {
        uint256 offerId;
        address seller;
        address buyer;
        uint256 amount;
    }

    DemoToken public immutable token;
    uint256 public offers;
    mapping(uint256 => Offer) public offer;
    mapping(bytes32 => Lock) public locked;

    event Offered(uint256 indexed offerId, address indexed seller, address indexed buyer, uint256 amount, string mediator);
    event Locked(bytes32 indexed plan, uint256 indexed offerId, uint256 amount);
    event Delivered(bytes32 indexed plan, address indexed buyer, uint256 amount);
    event Unlocked(bytes32 indexed plan, address indexed seller, uint256 amount);

    constructor(DemoToken t) {
        token = t;
    }

    modifier onlyGateway() {
        require(msg.sender == GATEWAY, "only the gateway");
        _;
    }

    /// The seller offers amount tokens to buyer, in plans mediated by mediator. Approve
    /// this contract for amount first; the tokens stay with the seller until a plan
    /// prepares.
    function makeOffer(address buyer, uint256 amount, string calldata mediator) external returns (uint256 offerId) {
        require(amount > 0 && buyer != address(0), "give a buyer and an amount");
        offerId = ++offers;
        offer[offerId] = Offer(msg.sender, buyer, amount, mediator);
        emit Offered(offerId, msg.sender, buyer, amount, mediator);
    }

    function prepare(bytes32 id, bytes calldata data) external onlyGateway returns (bool) {
        if (data.length != 32 || locked[id].amount != 0) {
            return false;
        }
        uint256 offerId = abi.decode(data, (uint256));
        Offer memory o = offer[offerId];
        (string memory mediator, address submitter) = IGateway(GATEWAY).crossMsgOrigin();
        if (o.amount == 0 || submitter != o.buyer || keccak256(bytes(mediator)) != keccak256(bytes(o.mediator))) {
            return false;
        }
        delete offer[offerId]; // before the token call: a plan takes an offer once
        try token.transferFrom(o.seller, address(this), o.amount) returns (bool ok) {
            if (!ok) {
                offer[offerId] = o;
                return false;
            }
        } catch {
            offer[offerId] = o;
            return false;
        }
        locked[id] = Lock(offerId, o.seller, o.buyer, o.amount);
        emit Locked(id, offerId, o.amount);
        return true;
    }

    /// The plan committed: the buyer gets the tokens. Value sent with this leg (the
    /// example sends none) goes to the seller.
    function commit(bytes32 id) external payable onlyGateway {
        Lock memory l = locked[id];
        delete locked[id];
        require(token.transfer(l.buyer, l.amount), "token transfer");
        if (msg.value > 0) {
            (bool sent,) = l.seller.call{value: msg.value}("");
            sent; // a seller that refuses coin leaves it here; the tokens are delivered either way
        }
        emit Delivered(id, l.buyer, l.amount);
    }

    /// The plan aborted: the seller gets the tokens back (and may offer them again).
    function abort(bytes32 id) external onlyGateway {
        Lock memory l = locked[id];
        delete locked[id];
        require(token.transfer(l.seller, l.amount), "token transfer");
        emit Unlocked(id, l.seller, l.amount);
    }
}
